# --- config: the YAML file and the camera JSON of the API (issue #5) ---------------
file(GLOB CONFIG_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
add_executable(config_tests ${CONFIG_TEST_SOURCES})
target_link_libraries(config_tests PRIVATE tilescope_config nlohmann_json::nlohmann_json GTest::gtest_main GTest::gmock)
tilescope_discover_tests(config_tests config_test_list PREFIX "config." LABELS config fast)
