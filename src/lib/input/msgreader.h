/*
 * msgreader.h - what the message reader offers inside the library and to
 * its tests, beside the public smtpdx_msgreader_* calls.
 */
#ifndef SX_INPUT_MSGREADER_H
#define SX_INPUT_MSGREADER_H

#include <stddef.h>

#include "smtpdx.h"

/* Read in chunks of chunk bytes and take messages of up to max bytes (0
 * keeps the default of each; max is at most SMTPDX_MSG_MAX). For tests
 * and fuzzing: with both small, a short input crosses every chunk
 * boundary and the size limit. Only before the first read; ignored after. */
void sx_msgreader_tune(smtpdx_msgreader *r, size_t chunk, size_t max);

#endif
