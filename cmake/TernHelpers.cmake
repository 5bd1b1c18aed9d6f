# tern_add_module(NAME SOURCES ... DEPS ...): one lib/<module> target, exported as tern::<module>.
# Public headers live in include/tern/<module>/; lib/ holds sources and private headers.
function(tern_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(tern_${name} ${ARG_SOURCES})
  add_library(tern::${name} ALIAS tern_${name})
  set_target_properties(tern_${name} PROPERTIES
    OUTPUT_NAME tern_${name}
    EXPORT_NAME ${name}
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  target_include_directories(tern_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/lib)
  target_compile_options(tern_${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  target_link_libraries(tern_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  set_property(GLOBAL APPEND PROPERTY TERN_MODULES tern_${name})
endfunction()

# tern_add_test(NAME SOURCES ... DEPS ... LABELS ...): a GoogleTest binary registered with CTest.
function(tern_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/lib ${PROJECT_SOURCE_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=1)
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 300)
  # Tests labelled "threaded" exercise code that runs on several threads; `make test` builds them
  # (target tern_threaded_tests) and runs them under TSan.
  if("threaded" IN_LIST ARG_LABELS)
    set_property(GLOBAL APPEND PROPERTY TERN_THREADED_TESTS ${name})
  endif()
endfunction()
