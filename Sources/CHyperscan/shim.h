// Hyperscan on x86 (Debian libhyperscan-dev), Vectorscan elsewhere (libvectorscan-dev, brew
// vectorscan): the same API, the same pkg-config name, libhs.
#include <hs.h>
