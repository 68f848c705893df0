// glibc malloc tuning (mallopt).
#pragma once
#include <malloc.h>
