# mlhub_cc_library(NAME SRCS ... DEPS ...): one static library per source folder (abseil style).
# Dependency direction between modules is expressed, and enforced, by DEPS.
function(mlhub_cc_library NAME)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${NAME} STATIC ${ARG_SRCS})
  target_include_directories(${NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${NAME} PUBLIC ${ARG_DEPS})
endfunction()

# mlhub_cc_test(NAME SRCS ... DEPS ...): a GoogleTest binary registered with ctest (label "unit").
# The target `unit_tests` builds them all and nothing else (the sanitizer tree: make/checks.mk).
function(mlhub_cc_test NAME)
  if(NOT BUILD_TESTING)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${NAME} ${ARG_SRCS})
  target_link_libraries(${NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  add_test(NAME ${NAME} COMMAND ${NAME})
  set_tests_properties(${NAME} PROPERTIES LABELS unit)
  set_property(GLOBAL APPEND PROPERTY MLHUB_UNIT_TESTS ${NAME})
endfunction()
