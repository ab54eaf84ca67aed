/* The program the inline reader's tests and fuzz seeds are built from:
 * go test ./flame -run TestInlineSeeds -update-elf rebuilds them (see
 * ../../inline_dwarf_test.go). */
#include <stdio.h>
#include <stdlib.h>

static inline __attribute__((always_inline)) unsigned mix(unsigned h, unsigned v)
{
	h ^= v;
	h *= 16777619u;
	return h;
}

static inline __attribute__((always_inline)) unsigned step(unsigned h, unsigned i)
{
	for (unsigned k = 0; k < 8; k++)
		h = mix(h, i + k);
	return h;
}

__attribute__((noinline)) unsigned checksum(unsigned n)
{
	unsigned h = 2166136261u;
	for (unsigned i = 0; i < n; i++)
		h = step(h, i);
	return h;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], 0, 10) : 1000;
	unsigned h = 0;
	for (int r = 0; r < 200; r++)
		h += checksum(n);
	printf("%u\n", h);
	return 0;
}
