// ALSA's library API.
#pragma once
#include <alsa/asoundlib.h>
