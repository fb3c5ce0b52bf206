/*
 * server/aliasadm.c - placeholder
 */
#include "config.h"

#include <stdio.h>

int main(void)
{
	fprintf(stderr, "aliasadm: not written yet\n");
	return 255;
}
