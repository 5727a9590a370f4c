// Header-only helpers; this file gives the target a compilation unit.
#include "starling_support.h"
