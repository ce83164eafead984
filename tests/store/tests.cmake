# --- store: SQLite events, cameras, settings, snapshots, retention (issue #5) -------
# store_crash_writer is the process the kill -9 test starts and kills (store_crash_test.cpp).
find_package(SQLite3 REQUIRED)
add_executable(store_crash_writer ${CMAKE_CURRENT_LIST_DIR}/store_crash_writer.cpp)
target_link_libraries(store_crash_writer PRIVATE tilescope_store)

file(GLOB STORE_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*_test.cpp)
add_executable(store_tests ${STORE_TEST_SOURCES})
target_link_libraries(store_tests PRIVATE tilescope_store SQLite::SQLite3 Threads::Threads GTest::gtest_main
  GTest::gmock)
add_dependencies(store_tests store_crash_writer)
target_compile_definitions(store_tests PRIVATE STORE_CRASH_WRITER="$<TARGET_FILE:store_crash_writer>")
tilescope_discover_tests(store_tests store_test_list PREFIX "store." LABELS store fast)
