# http: libmicrohttpd for the server.
pkg_check_modules(MICROHTTPD REQUIRED IMPORTED_TARGET libmicrohttpd)
target_link_libraries(kechan_lib PUBLIC PkgConfig::MICROHTTPD)
