#include <pthread.h>
#include <stdio.h>
__attribute__((noinline)) double spin(long n){ double s=0; for(long i=1;i<n;i++) s+=(double)(i%7)/i; return s; }
__attribute__((noinline)) void *worker_a(void*p){ double r=spin(200000000); *(double*)p=r; return 0; }
__attribute__((noinline)) void *worker_b(void*p){ double r=spin(100000000)+spin(100000000); *(double*)p=r; return 0; }
int main(){ pthread_t a,b; double ra,rb; pthread_create(&a,0,worker_a,&ra); pthread_create(&b,0,worker_b,&rb); pthread_join(a,0); pthread_join(b,0); printf("%f\n",ra+rb+spin(20000000)); return 0; }
