/* lock.c: threads contending for one mutex, for perfcap's lock share.
 * Usage: lock [ROUNDS] [THREADS] */
#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long counter;
static unsigned long rounds;

/* worker takes the lock for a tiny critical section, over and over: the
 * threads spend their time handing the lock to each other. */
static void *worker(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < rounds; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	return 0;
}

int main(int argc, char **argv)
{
	rounds = argc > 1 ? strtoul(argv[1], 0, 10) : 3000000;
	int n = argc > 2 ? atoi(argv[2]) : 4;
	pthread_t t[64];
	if (n < 1 || n > 64)
		n = 4;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], 0, worker, 0);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], 0);
	return counter == 42;
}
