# Debian package (cpack -G DEB in the build dir): binary, systemd unit, example config, docs.
# The unit runs as User=mailtee: the package's postinst must create that system account
# (adduser --system --group --home /var/lib/mailtee --no-create-home mailtee) — issue 14.
install(FILES ${CMAKE_SOURCE_DIR}/deploy/mailtee.service DESTINATION lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/config/example.xml DESTINATION share/doc/mailtee/examples OPTIONAL)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION share/doc/mailtee)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mailtee)
set(CPACK_PACKAGE_CONTACT "mailtee maintainers <root@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libuv1, android-libboringssl, libleveldb1d, libtinyxml2-9")
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Transparent POP3/SMTP archiving proxy")
include(CPack)
