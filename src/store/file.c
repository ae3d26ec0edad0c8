/* file: the database as a file on disk: whether it is still the one opened (replaced,
 * touched), letting go of it, and removing one a failed command made. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/mem.h"

void store_discard(struct store *s)
{
	if (!s)
		return;
	bool created = s->created;
	char *path = s->path;
	s->path = NULL;
	store_db_close(s);
	free(s);
	if (created) { /* the database and the files SQLite keeps beside it */
		static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
		for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
			char *f = xasprintf("%s%s", path, ext[i]);
			unlink(f);
			free(f);
		}
	}
	free(path);
}

void store_let_go(struct store *s)
{
	if (!s)
		return;
	/* The -wal and -shm beside the path are still this handle's file's: SQLite does not
	 * checkpoint or remove them on close once that file was unlinked or renamed over, and
	 * the next opener of the path would read their pages as its own. Fold them into the
	 * old file and empty the WAL first (no waiting: a busy WAL is someone else's). */
	store_db_checkpoint(s);
	store_close(s);
}

bool store_created(const struct store *s)
{
	return s && s->created;
}

enum store_file store_file_state(struct store *s)
{
	struct stat now;
	if (stat(s->path, &now) != 0 || now.st_dev != s->file.st_dev ||
	    now.st_ino != s->file.st_ino)
		return STORE_FILE_REPLACED;
	if (now.st_size != s->file.st_size || now.st_mtim.tv_sec != s->file.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != s->file.st_mtim.tv_nsec)
		return STORE_FILE_TOUCHED;
	return STORE_FILE_SAME;
}
