/* version: the one place the version string lives. */
#ifndef HANDOFF_VERSION_H
#define HANDOFF_VERSION_H
#define HANDOFF_VERSION "0.1.0"
#endif
