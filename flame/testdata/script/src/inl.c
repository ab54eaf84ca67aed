#include <stdio.h>
#include <stdlib.h>
static inline double kernel_step(double x, long i){ return x*0.999 + (double)(i%13)/(i+1); }
static inline double inner_loop(long n){ double s=0; for(long i=0;i<n;i++) s=kernel_step(s,i); return s; }
__attribute__((noinline)) double driver(long n){ double t=0; for(int k=0;k<100;k++) t+=inner_loop(n); return t; }
int main(int argc,char**argv){ long n=argc>1?atol(argv[1]):3000000; printf("%f\n",driver(n)); return 0; }
