/* LD_PRELOAD shim for Janus 1.1.x: let ICE gather candidates on the loopback interface.
 * Janus's ice.c (janus_ice_setup_local) skips every interface with IFF_LOOPBACK, so
 * ice_enforce_list = "lo" alone yields NO local address and libnice falls back to
 * all non-loopback interfaces. This wrapper clears IFF_LOOPBACK in getifaddrs()
 * results; with ice_enforce_list = "lo" Janus then offers only 127.0.0.1.
 * Build: gcc -shared -fPIC -O2 -o janus_lo_shim.so janus_lo_shim.c -ldl
 * Use:   LD_PRELOAD=/path/janus_lo_shim.so janus ...                              */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>

int getifaddrs(struct ifaddrs **ifap) {
	static int (*real)(struct ifaddrs **) = 0;
	if(!real)
		real = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
	int rc = real(ifap);
	if(rc == 0)
		for(struct ifaddrs *i = *ifap; i; i = i->ifa_next)
			i->ifa_flags &= ~IFF_LOOPBACK;
	return rc;
}
