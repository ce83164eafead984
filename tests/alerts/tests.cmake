# --- alerts (issue #6) ------------------------------------------------------------
# Rules as text cases (tests/alerts/cases/*.test), the outbox on SQLite, and the sinks
# against real servers each test starts on 127.0.0.1: SMTP (tools/smtp_receiver.py on
# Debian's python3-aiosmtpd), mosquitto, an HTTP receiver (tools/webhook_receiver.py).
# alerts_test_child is a separate process the crash tests kill -9.
find_package(PkgConfig REQUIRED)
pkg_check_modules(ALERTS_TEST_MOSQUITTO REQUIRED IMPORTED_TARGET libmosquitto)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(SQLite3 REQUIRED)

add_executable(alerts_test_child ${CMAKE_CURRENT_SOURCE_DIR}/alerts/child/alerts_test_child.cpp)
target_link_libraries(alerts_test_child PRIVATE tilescope_alerts)

file(GLOB ALERTS_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/alerts/*.cpp)
add_executable(alerts_tests ${ALERTS_TEST_SOURCES})
# Internal headers (rule engine, MIME writer, signature) are tested directly.
target_include_directories(alerts_tests PRIVATE ${PROJECT_SOURCE_DIR}/src/alerts)
# tilescope_store: one test shares the database file with the real store; tilescope_config:
# the `alerts:` section read from YAML as serve reads it.
target_link_libraries(alerts_tests PRIVATE tilescope_alerts tilescope_store tilescope_config PkgConfig::ALERTS_TEST_MOSQUITTO OpenSSL::Crypto
  SQLite::SQLite3 GTest::gtest_main GTest::gmock)
add_dependencies(alerts_tests alerts_test_child)
target_compile_definitions(alerts_tests PRIVATE
  TILESCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  ALERTS_TEST_CHILD="$<TARGET_FILE:alerts_test_child>")
# Everything runs in ~20 s (the servers start in well under a second each; back-offs are
# set short), so the server tests belong to the quick suite too.
tilescope_discover_tests(alerts_tests alerts_test_list PREFIX "alerts." LABELS alerts fast)
