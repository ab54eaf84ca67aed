/* alloc.c: a program that spends most of its time in malloc and free,
 * for perfcap's allocation share. Usage: alloc [ROUNDS] */
#include <stdlib.h>
#include <string.h>

static void *keep[64];

/* churn allocates and frees blocks of varying sizes, touching little of
 * them, so the allocator's own code takes the time. */
static unsigned long churn(unsigned long rounds)
{
	unsigned long sum = 0;
	for (unsigned long i = 0; i < rounds; i++) {
		size_t n = 16 + (i * 2654435761u) % 4000;
		char *p = malloc(n);
		p[0] = (char)i;
		sum += (unsigned char)p[0];
		unsigned slot = i % 64;
		free(keep[slot]);
		keep[slot] = p;
	}
	return sum;
}

int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], 0, 10) : 20000000;
	return churn(rounds) == 42 ? 1 : 0;
}
