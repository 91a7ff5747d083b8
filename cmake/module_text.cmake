# text: OpenCC (t2s), utf8proc (NFKC, case folding; linked by the core), libstemmer (Snowball).
pkg_check_modules(OPENCC REQUIRED IMPORTED_TARGET opencc)
find_library(STEMMER_LIB stemmer REQUIRED)
find_path(STEMMER_INCLUDE libstemmer.h REQUIRED)
target_include_directories(kechan_lib PRIVATE ${STEMMER_INCLUDE})
target_link_libraries(kechan_lib PUBLIC PkgConfig::OPENCC ${STEMMER_LIB})
