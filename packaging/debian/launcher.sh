#!/bin/sh
# f2b-sophosxg on the distribution's Node.js (Depends: nodejs), whatever node comes first in PATH.
exec /usr/bin/node @CLI@ "$@"
