#include <fcntl.h>
#include <unistd.h>
#include <string.h>
__attribute__((noinline)) void emit(int fd, char *b, int n){ for(int i=0;i<n;i++) write(fd,b,4096); }
__attribute__((noinline)) void churn(int fd){ char b[4096]; memset(b,'x',sizeof b); emit(fd,b,1500000); }
int main(){ int fd=open("/dev/null",O_WRONLY); int z=open("/dev/zero",O_RDONLY); char b[65536]; for(int i=0;i<20000;i++) read(z,b,sizeof b); churn(fd); return 0; }
