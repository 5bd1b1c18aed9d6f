# Install rules: headers, libraries, the CMake package (ternConfig.cmake, ternConfigVersion.cmake,
# ternTargets.cmake, FindBoringSSL.cmake) and tern.pc for pkg-config users.
include(CMakePackageConfigHelpers)

get_property(_tern_modules GLOBAL PROPERTY TERN_MODULES)
install(TARGETS ${_tern_modules} tern_umbrella
  EXPORT ternTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tern DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(TERN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tern)
install(EXPORT ternTargets NAMESPACE tern:: DESTINATION ${TERN_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ternConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ternConfig.cmake INSTALL_DESTINATION ${TERN_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ternConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ternConfig.cmake ${PROJECT_BINARY_DIR}/ternConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FindBoringSSL.cmake DESTINATION ${TERN_CMAKE_DIR})

# pkg-config: list modules highest layer first so static links resolve.
set(TERN_PC_LIBS "")
list(REVERSE _tern_modules)
foreach(m IN LISTS _tern_modules)
  get_target_property(_out ${m} OUTPUT_NAME)
  string(APPEND TERN_PC_LIBS " -l${_out}")
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/tern.pc.in ${PROJECT_BINARY_DIR}/tern.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tern.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
