/* Static files for --static DIR: which file a URL path names, or why none.
 *
 * The rules are the demo server's (scripts/serve.mjs): percent-decoding happens once, before any
 * check; a segment that is ".." or starts with "." (.git, .deps) is not found; the resolved
 * real path (symlinks followed) must stay inside the root; a directory is served through its
 * index.html after a redirect to the slash form; nothing else is listed. With an allow list
 * (--static-allow), only decoded paths under one of its prefixes are served: a demo's keys and
 * database can sit inside the served tree without being served. Every response carries
 * the demo's Content-Security-Policy (SRV_CSP), without 'unsafe-eval': WebAssembly needs only
 * 'wasm-unsafe-eval'.
 */
#ifndef HUSH_SERVER_FILES_H
#define HUSH_SERVER_FILES_H

#include <stddef.h>

#define SRV_CSP                                                                                   \
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self'; " \
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "          \
    "form-action 'none'; frame-ancestors 'none'"

/* root: an absolute, real path without a trailing slash. allow: a comma-separated list of URL path
 * prefixes ("/demo/,/web/"), or NULL for everything under root. Returns an HTTP status: 200 (out
 * holds the file's real path, *size its size), 301 (out holds the location to redirect to), 400
 * or 404. */
int srv_files_resolve(const char *root, const char *allow, const char *url_path, char *out, size_t cap, size_t *size);
/* Content type by extension ("application/octet-stream" when unknown). */
const char *srv_files_mime(const char *path);

#endif
