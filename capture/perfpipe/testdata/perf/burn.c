/* burn SECONDS: spins until the process has used SECONDS of CPU time, in
   a call chain main -> burn_outer -> burn_inner that dwarf unwinding must
   walk. Built with gcc -g -O1 by the tests of recordings in chunks. */
#include <stdlib.h>
#include <time.h>

static double cpu(void) {
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) unsigned long burn_inner(unsigned long x) {
	for (int i = 0; i < 1000000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

__attribute__((noinline)) unsigned long burn_outer(double seconds) {
	unsigned long x = 1;
	double end = cpu() + seconds;
	while (cpu() < end)
		x = burn_inner(x);
	return x;
}

int main(int argc, char **argv) {
	double seconds = argc > 1 ? atof(argv[1]) : 1;
	return (int)(burn_outer(seconds) & 1);
}
