#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
typedef void (*fn)(void);
__attribute__((noinline)) void run_jitted(fn f){ for(int i=0;i<40;i++) f(); }
int main(){
  unsigned char code[] = {0x48,0xB9, 0,0,0,0,0,0,0,0, 0x48,0xFF,0xC9, 0x75,0xFB, 0xC3};
  uint64_t n = 10000000; memcpy(code+2,&n,8);
  unsigned char *m = mmap(0,4096,PROT_READ|PROT_WRITE|PROT_EXEC,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  memcpy(m,code,sizeof code);
  char path[64]; snprintf(path,sizeof path,"/tmp/perf-%d.map",getpid());
  FILE *f=fopen(path,"w"); fprintf(f,"%lx %zx jit_spin_loop;tier1\n",(unsigned long)m,sizeof code); fclose(f);
  run_jitted((fn)m); return 0; }
