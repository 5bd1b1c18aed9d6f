# Finds Debian's BoringSSL (package android-libboringssl-dev): headers under /usr/include/android,
# libraries in the multiarch android/ folder. Defines BoringSSL::crypto and BoringSSL::ssl as imported
# targets whose include directory comes *before* the system one, so <openssl/...> never resolves to
# OpenSSL 3 by accident, and whose libraries carry an rpath (the android/ folder is not on the loader path).
include(FindPackageHandleStandardArgs)

find_path(BoringSSL_INCLUDE_DIR openssl/base.h
  PATHS /usr/include/android
  NO_DEFAULT_PATH)

set(_tern_ssl_hints)
if(CMAKE_LIBRARY_ARCHITECTURE)
  list(APPEND _tern_ssl_hints /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/android)
endif()
list(APPEND _tern_ssl_hints /usr/lib/android)

find_library(BoringSSL_CRYPTO_LIBRARY NAMES crypto PATHS ${_tern_ssl_hints} NO_DEFAULT_PATH)
find_library(BoringSSL_SSL_LIBRARY NAMES ssl PATHS ${_tern_ssl_hints} NO_DEFAULT_PATH)

if(BoringSSL_INCLUDE_DIR AND NOT EXISTS "${BoringSSL_INCLUDE_DIR}/openssl/base.h")
  set(BoringSSL_INCLUDE_DIR BoringSSL_INCLUDE_DIR-NOTFOUND)
endif()
if(BoringSSL_INCLUDE_DIR)
  file(STRINGS "${BoringSSL_INCLUDE_DIR}/openssl/base.h" _tern_is_boring REGEX "define OPENSSL_IS_BORINGSSL")
  if(NOT _tern_is_boring)
    message(FATAL_ERROR "${BoringSSL_INCLUDE_DIR}/openssl/base.h is not BoringSSL")
  endif()
endif()

find_package_handle_standard_args(BoringSSL
  REQUIRED_VARS BoringSSL_CRYPTO_LIBRARY BoringSSL_SSL_LIBRARY BoringSSL_INCLUDE_DIR)

if(BoringSSL_FOUND)
  get_filename_component(BoringSSL_LIBRARY_DIR "${BoringSSL_CRYPTO_LIBRARY}" DIRECTORY)
  if(NOT TARGET BoringSSL::crypto)
    add_library(BoringSSL::crypto SHARED IMPORTED)
    set_target_properties(BoringSSL::crypto PROPERTIES
      IMPORTED_LOCATION "${BoringSSL_CRYPTO_LIBRARY}"
      IMPORTED_NO_SONAME FALSE
      INTERFACE_INCLUDE_DIRECTORIES "${BoringSSL_INCLUDE_DIR}"
      INTERFACE_LINK_OPTIONS "LINKER:-rpath,${BoringSSL_LIBRARY_DIR}")
  endif()
  if(NOT TARGET BoringSSL::ssl)
    add_library(BoringSSL::ssl SHARED IMPORTED)
    set_target_properties(BoringSSL::ssl PROPERTIES
      IMPORTED_LOCATION "${BoringSSL_SSL_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${BoringSSL_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES BoringSSL::crypto)
  endif()
endif()
mark_as_advanced(BoringSSL_INCLUDE_DIR BoringSSL_CRYPTO_LIBRARY BoringSSL_SSL_LIBRARY)
