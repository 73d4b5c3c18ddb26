vcl 4.0;

import std;

include "/etc/varnish/vcl_includes/backends.vcl";
include "/etc/varnish/vcl_includes/main.vcl";
