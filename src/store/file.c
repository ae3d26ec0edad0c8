/* file: whether the store a handle opened is still the one there (an SQLite file replaced
 * or touched, a PostgreSQL connection gone), letting go of it, and removing one a failed
 * command made; each adapter does its own part. */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "store/store_int.h"

void store_discard(struct store *s)
{
	if (!s)
		return;
	if (s->created)
		s->be->discard(s);
	store_close(s);
}

void store_let_go(struct store *s)
{
	if (!s)
		return;
	if (s->db)
		s->be->let_go(s);
	store_close(s);
}

bool store_created(const struct store *s)
{
	return s && s->created;
}

enum store_file store_file_state(struct store *s)
{
	if (!s->be->file)
		return s->be->broken(s) ? STORE_FILE_REPLACED : STORE_FILE_SAME;
	struct stat now;
	if (stat(s->path, &now) != 0 || now.st_dev != s->file.st_dev ||
	    now.st_ino != s->file.st_ino)
		return STORE_FILE_REPLACED;
	if (now.st_size != s->file.st_size || now.st_mtim.tv_sec != s->file.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != s->file.st_mtim.tv_nsec)
		return STORE_FILE_TOUCHED;
	return STORE_FILE_SAME;
}
