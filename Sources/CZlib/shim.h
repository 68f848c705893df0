// zlib, for CRC-32 of files streamed into ZIP archives.
#pragma once
#include <zlib.h>
