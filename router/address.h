/*
 * router/address.h - placeholder
 */
#ifndef SM_ADDRESS_H
#define SM_ADDRESS_H
#endif
