add_library(ringside_warnings INTERFACE)
target_compile_options(ringside_warnings INTERFACE -Wall -Wextra -Wnon-virtual-dtor
  $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
  $<$<CXX_COMPILER_ID:Clang>:-Wshadow-uncaptured-local>)
if(RINGSIDE_WERROR)
  target_compile_options(ringside_warnings INTERFACE -Werror)
endif()
if(RINGSIDE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(RINGSIDE_STATIC)
  add_link_options(-static)
endif()
