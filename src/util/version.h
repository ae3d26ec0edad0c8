/* version: the one place the version string (and its date, for the manual page) lives. */
#ifndef HANDOFF_VERSION_H
#define HANDOFF_VERSION_H
#define HANDOFF_VERSION "0.2.0"
#define HANDOFF_DATE    "2026-12-02"
#endif
