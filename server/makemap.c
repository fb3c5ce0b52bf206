/*
 * server/makemap.c - placeholder
 */
#include "config.h"

/* main - placeholder */
int main(void)
{
	return 0;
}
