# Turns the web console's static files into a C++ source with their bytes, so
# the mailtee binary serves the UI without any file on disk (and it cannot
# drift from the binary's API). Run by admin/CMakeLists.txt at build time:
#   cmake -DWEB_DIR=admin/web -DOUT=build/.../web_assets_data.cc -P embed_assets.cmake
# Only the served kinds are embedded (html, css, js, svg, png, ico).
file(GLOB_RECURSE files RELATIVE ${WEB_DIR}
     ${WEB_DIR}/*.html ${WEB_DIR}/*.css ${WEB_DIR}/*.js ${WEB_DIR}/*.svg ${WEB_DIR}/*.png ${WEB_DIR}/*.ico)
list(SORT files)
set(body "// Generated from admin/web by admin/web/embed_assets.cmake. Do not edit.\n")
string(APPEND body "#include \"admin/api/web_assets.h\"\n\nnamespace mailtee::admin {\nnamespace {\n")
set(table "")
set(n 0)
foreach(f ${files})
  file(READ ${WEB_DIR}/${f} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR size "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "const unsigned char kAsset${n}[] = {${bytes}0};\n")
  string(APPEND table "    {\"/${f}\", kAsset${n}, ${size}},\n")
  math(EXPR n "${n} + 1")
endforeach()
string(APPEND body "}  // namespace\n\nconst std::vector<WebAsset>& WebAssets() {\n")
string(APPEND body "  static const std::vector<WebAsset> assets = {\n${table}  };\n  return assets;\n}\n\n")
string(APPEND body "}  // namespace mailtee::admin\n")
# Rewrite only on change, so an unchanged UI does not relink.
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${body}")
  file(WRITE ${OUT} "${body}")
endif()
