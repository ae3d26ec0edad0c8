/* ids: the shapes of Twilio's identifiers: E.164 numbers and resource SIDs. */
#include "util/ids.h"

#include <string.h>

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool hex(char c)
{
	return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool id_e164_n(const char *s, size_t n)
{
	if (n < 3 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;
	for (size_t i = 2; i < n; i++)
		if (!digit(s[i]))
			return false;
	return true;
}

bool id_e164(const char *s)
{
	return s && id_e164_n(s, strlen(s));
}

bool id_sid_n(const char *s, size_t n, const char *prefix)
{
	if (n != ID_SID_LEN || strncmp(s, prefix, 2) != 0)
		return false;
	for (size_t i = 2; i < n; i++)
		if (!hex(s[i]))
			return false;
	return true;
}

bool id_sid(const char *s, const char *prefix)
{
	return s && id_sid_n(s, strlen(s), prefix);
}
