# Green-thread runtimes as folders: leakscan_runtime() registers one, leakscan_generate_runtimes()
# turns a registry into the RuntimeKind enumerators (an X-macro list) and the runtimes' rules
# compiled in, each tagged with its runtime. analyzer/runtimes/runtimes.cmake is the built-in
# registry; a test registers its own toy runtime through the same two calls.
set(LEAKSCAN_RUNTIMES_MODULE_DIR ${CMAKE_CURRENT_LIST_DIR})

# leakscan_runtime(<folder> <enumerator> <name> [REGISTRY <registry>])
#   <folder>: holds rules.toml, relative to the file that registers it
#   <enumerator>: RuntimeKind's enumerator (kGo); <name>: what reports and labels say ("go")
function(leakscan_runtime folder enumerator name)
  cmake_parse_arguments(PARSE_ARGV 3 arg "" "REGISTRY" "")
  if(NOT arg_REGISTRY)
    set(arg_REGISTRY builtin)
  endif()
  cmake_path(ABSOLUTE_PATH folder BASE_DIRECTORY ${CMAKE_CURRENT_LIST_DIR} OUTPUT_VARIABLE dir)
  if(NOT EXISTS ${dir}/rules.toml)
    message(FATAL_ERROR "leakscan_runtime(${folder}): ${dir}/rules.toml not found")
  endif()
  # Names are what profiles and reports carry: two runtimes must not share one.
  get_property(registered GLOBAL PROPERTY LEAKSCAN_RUNTIMES_${arg_REGISTRY})
  foreach(runtime IN LISTS registered)
    string(REPLACE "|" ";" fields "${runtime}")
    list(GET fields 1 taken_enumerator)
    list(GET fields 2 taken_name)
    if(enumerator STREQUAL taken_enumerator OR name STREQUAL taken_name)
      message(FATAL_ERROR "leakscan_runtime(${folder}): ${enumerator} or \"${name}\" is registered already")
    endif()
  endforeach()
  set_property(GLOBAL APPEND PROPERTY LEAKSCAN_RUNTIMES_${arg_REGISTRY} "${dir}|${enumerator}|${name}")
endfunction()

# leakscan_generate_runtimes(<registry> <output_dir> <function> [AFTER <registry>])
#   writes <output_dir>/runtimes.inc, one LEAKSCAN_RUNTIME(enumerator, "name", value) a runtime,
#   and <output_dir>/runtime_rules.cc, defining leakscan::<function>() over their rules.toml.
#   AFTER numbers the runtimes on from another registry's, so that an extension never takes a
#   built-in runtime's value.
function(leakscan_generate_runtimes registry output_dir function)
  cmake_parse_arguments(PARSE_ARGV 3 arg "" "AFTER" "")
  get_property(runtimes GLOBAL PROPERTY LEAKSCAN_RUNTIMES_${registry})
  set(value 1)  # 0 is RuntimeKind::kUnknown
  if(arg_AFTER)
    get_property(before GLOBAL PROPERTY LEAKSCAN_RUNTIMES_${arg_AFTER})
    list(LENGTH before count)
    math(EXPR value "${count} + 1")
  endif()
  set(LEAKSCAN_RUNTIME_LIST "")
  set(LEAKSCAN_RUNTIME_TEXTS "")
  set(LEAKSCAN_RUNTIME_TABLE "")
  foreach(runtime IN LISTS runtimes)
    string(REPLACE "|" ";" fields "${runtime}")
    list(GET fields 0 dir)
    list(GET fields 1 enumerator)
    list(GET fields 2 name)
    file(READ ${dir}/rules.toml text)
    string(REGEX REPLACE "^k" "" stem ${enumerator})
    cmake_path(RELATIVE_PATH dir BASE_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE relative)
    string(APPEND LEAKSCAN_RUNTIME_LIST "LEAKSCAN_RUNTIME(${enumerator}, \"${name}\", ${value})\n")
    string(APPEND LEAKSCAN_RUNTIME_TEXTS
           "constexpr char k${stem}Rules[] = R\"leakscan_rules(${text})leakscan_rules\";\n")
    string(APPEND LEAKSCAN_RUNTIME_TABLE
           "    {static_cast<RuntimeKind>(${value}), \"${relative}/rules.toml\", k${stem}Rules},\n")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${dir}/rules.toml)
    math(EXPR value "${value} + 1")
  endforeach()
  list(LENGTH runtimes LEAKSCAN_RUNTIME_COUNT)
  set(LEAKSCAN_RUNTIME_FUNCTION ${function})
  file(CONFIGURE OUTPUT ${output_dir}/runtimes.inc CONTENT "${LEAKSCAN_RUNTIME_LIST}")
  configure_file(${LEAKSCAN_RUNTIMES_MODULE_DIR}/runtime_rules.cc.in ${output_dir}/runtime_rules.cc
                 @ONLY)
endfunction()
