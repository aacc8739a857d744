# `cmake --install` puts the binary, ringside(1) and the bash completion under the prefix
# (src/cli/CMakeLists.txt); `cpack` (in a build dir) makes a .deb of them. Its
# dependencies are Debian's runtime packages, found by dpkg-shlibdeps from the binary.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ringside)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ringside maintainers <ringside@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "conformance and fuzz testing of Linux epoll and io_uring")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "conformance and fuzz testing of Linux epoll and io_uring
ringside runs scripted and generated sequences of operations on real sockets, pipes,
eventfds and files through epoll and io_uring, and checks every result against a
reference state-machine oracle. It gates kernels in CI (KTAP, JUnit, JSON, HTML).")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "man-db, bash-completion")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
