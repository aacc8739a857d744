# All dependencies are Debian packages; ci/setup installs them.
find_package(PkgConfig REQUIRED)
# Static archives of the libraries: for a fully static binary (RINGSIDE_STATIC), and for
# binaries that run where the libraries are not installed (RINGSIDE_STATIC_DEPS: the
# OSS-Fuzz runner image has no liburing, ci/oss-fuzz/build.sh).
if(RINGSIDE_STATIC)
  set(RINGSIDE_STATIC_DEPS ON)
endif()
if(RINGSIDE_STATIC_DEPS)
  set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
  set(Boost_USE_STATIC_LIBS ON)
endif()
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing>=2.3)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt 9 REQUIRED)
find_package(Threads REQUIRED)
if(RINGSIDE_TESTS)
  find_package(Catch2 2.13 REQUIRED)
endif()

# liburing as one imported target whatever the link mode.
add_library(ringside_uring INTERFACE)
if(RINGSIDE_STATIC_DEPS)
  find_library(URING_STATIC NAMES liburing.a REQUIRED)
  target_include_directories(ringside_uring INTERFACE ${URING_INCLUDE_DIRS})
  target_link_libraries(ringside_uring INTERFACE ${URING_STATIC})
else()
  target_link_libraries(ringside_uring INTERFACE PkgConfig::URING)
endif()

# fmt: shared library normally; header-only when linking statically (Debian ships no libfmt.a).
add_library(ringside_fmt INTERFACE)
if(RINGSIDE_STATIC_DEPS)
  target_link_libraries(ringside_fmt INTERFACE fmt::fmt-header-only)
else()
  target_link_libraries(ringside_fmt INTERFACE fmt::fmt)
endif()
