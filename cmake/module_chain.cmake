# chain: industrial-chain graph analyses on igraph (Debian: libigraph-dev, igraph 0.10).
pkg_check_modules(IGRAPH REQUIRED IMPORTED_TARGET igraph)
target_link_libraries(kechan_lib PUBLIC PkgConfig::IGRAPH)
