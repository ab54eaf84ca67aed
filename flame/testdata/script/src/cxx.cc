#include <vector>
#include <map>
#include <string>
#include <cstdio>
namespace geo { template<typename T> struct Grid { std::vector<T> v; __attribute__((noinline)) T sum(int (*f)(T)) const { T s=0; for (auto x: v) s+= f(x)?x:0; return s; } }; }
namespace { __attribute__((noinline)) int pred(long x){ return x%3!=0; } }
__attribute__((noinline)) long build(int n){ long t=0; for(int r=0;r<n;r++){ std::map<std::string,long> m; for(int i=0;i<2000;i++) m[std::to_string(i*r)]=i; auto* g=new geo::Grid<long>(); for(auto&p:m) g->v.push_back(p.second); t+=g->sum(pred); delete g; } return t; }
int main(){ printf("%ld\n", build(1500)); }
