# SPDX-License-Identifier: MIT
# `cmake --install`: the header, libvkattn.a and libvkattn.so.0, the CMake
# package (find_package(vkattn) -> vkattn::vkattn), vkattn.pc, the CLI and
# the labels it may ship (see README "Licences").
include(CMakePackageConfigHelpers)
set(VKA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/vkattn)

install(FILES ${PROJECT_SOURCE_DIR}/runtime/include/vkattn.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ${VKA_LIB_TARGETS} EXPORT vkattnTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT vkattnTargets NAMESPACE vkattn:: DESTINATION ${VKA_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vkattnConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/vkattnConfig.cmake INSTALL_DESTINATION ${VKA_CMAKE_DIR})
# 0.x: a minor version may change the API
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vkattnConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vkattnConfig.cmake ${PROJECT_BINARY_DIR}/vkattnConfigVersion.cmake
        DESTINATION ${VKA_CMAKE_DIR})

# pkg-config: the shared library by default, `pkg-config --static` adds what
# libvkattn.a needs (cJSON, libdl, libm, threads; protobuf-c is inside).
# Relocatable: the prefix is found from where the .pc file lies
# (`cmake --install --prefix` elsewhere, or a copied tree).
file(RELATIVE_PATH VKA_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" VKA_PC_TO_PREFIX "${VKA_PC_TO_PREFIX}")
file(RELATIVE_PATH VKA_PC_LIBDIR ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_FULL_LIBDIR})
file(RELATIVE_PATH VKA_PC_INCLUDEDIR ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_FULL_INCLUDEDIR})
configure_file(${PROJECT_SOURCE_DIR}/cmake/vkattn.pc.in ${PROJECT_BINARY_DIR}/vkattn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/vkattn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/THIRD_PARTY.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/vkattn)
if(VKA_CLI)
  install(TARGETS vkattn_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  # COCO class names (facts, no licence needed); the ImageNet simple labels
  # are not shipped: their licence is not recorded (README "Licences").
  set(VKA_LABELS_DIR ${VKATTN_ASSETS_DIR}/labels)
  if(EXISTS ${VKA_LABELS_DIR}/coco80.txt)
    install(FILES ${VKA_LABELS_DIR}/coco80.txt DESTINATION ${CMAKE_INSTALL_DATADIR}/vkattn/labels)
  else()
    message(WARNING "${VKA_LABELS_DIR}/coco80.txt not found: the installed CLI will name COCO classes classN")
  endif()
endif()
