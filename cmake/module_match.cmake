# match: LAPACK through LAPACKE (Debian liblapacke-dev) for the field vectors' SVD (lsa.c).
pkg_check_modules(LAPACKE REQUIRED IMPORTED_TARGET lapacke)
target_link_libraries(kechan_lib PUBLIC PkgConfig::LAPACKE)
