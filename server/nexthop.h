/*
 * server/nexthop.h - placeholder
 */
#ifndef SM_NEXTHOP_H
#define SM_NEXTHOP_H
#endif
