# http: libmicrohttpd for the server, libsodium for passwords (argon2id), random tokens and
# their digests.
pkg_check_modules(MICROHTTPD REQUIRED IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
target_link_libraries(kechan_lib PUBLIC PkgConfig::MICROHTTPD PkgConfig::SODIUM)

# The OpenAPI document (docs/openapi.json) compiled into the server as a byte array.
set(KC_OPENAPI_SRC ${CMAKE_SOURCE_DIR}/docs/openapi.json)
set(KC_OPENAPI_C ${CMAKE_BINARY_DIR}/generated/openapi_doc.c)
add_custom_command(OUTPUT ${KC_OPENAPI_C}
  COMMAND ${CMAKE_COMMAND} -DIN=${KC_OPENAPI_SRC} -DOUT=${KC_OPENAPI_C} -DNAME=kc__openapi_doc
          -P ${CMAKE_SOURCE_DIR}/cmake/embed.cmake
  DEPENDS ${KC_OPENAPI_SRC} ${CMAKE_SOURCE_DIR}/cmake/embed.cmake
  COMMENT "embedding docs/openapi.json")
target_sources(kechan_lib PRIVATE ${KC_OPENAPI_C})
