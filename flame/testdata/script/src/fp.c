#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) double hot(long n){ volatile double s=0; for(long i=1;i<n;i++) s+= 1.0/(double)i*(i&1?1:-1); return s; }
__attribute__((noinline)) double middle(long n){ return hot(n)+hot(n/2); }
__attribute__((noinline)) double outer(long n){ double s=0; for(int k=0;k<40;k++) s+=middle(n); return s; }
__attribute__((noinline)) double cold(long n){ return hot(n/10); }
int main(int argc,char**argv){ long n=argc>1?atol(argv[1]):2000000; double s=outer(n)+cold(n); printf("%f\n",s); return 0; }
