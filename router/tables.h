/*
 * router/tables.h - placeholder
 */
#ifndef SM_TABLES_H
#define SM_TABLES_H
#endif
