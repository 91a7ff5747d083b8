# index: CRoaring bitmaps for filters (Debian's libroaring-dev ships a CMake package, no .pc).
find_package(roaring REQUIRED)
target_link_libraries(kechan_lib PUBLIC roaring::roaring)
