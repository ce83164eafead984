# --- web UI (issue #5): the real `tilescope serve` driven by Debian's chromium ---------
# tests/web/ui_test.mjs uses npm playwright-core from web/node_modules (scripts/setup runs
# `npm ci` there); it exits 77 (skipped) without chromium, node_modules or the sample
# video. Screenshots of every page and the server's log land in
# <build>/test-artifacts/web.
find_program(TILESCOPE_NODE node)
if(TILESCOPE_NODE AND TARGET tilescope)
  add_test(NAME web.ui
    COMMAND ${TILESCOPE_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/web/ui_test.mjs $<TARGET_FILE:tilescope>
            --video ${PROJECT_SOURCE_DIR}/.cache/media/vtest.avi
            --artifacts ${PROJECT_BINARY_DIR}/test-artifacts/web)
  set_tests_properties(web.ui PROPERTIES LABELS "web;slow" SKIP_RETURN_CODE 77 TIMEOUT 900)
else()
  message(STATUS "node not found: the web UI browser test (web.ui) is not registered")
endif()

# --- the alerts page (issue #6): the same server with an email sink on a real SMTP server
# (tools/smtp_receiver.py, Debian's python3-aiosmtpd) and a webhook sink
# (tools/webhook_receiver.py), both started by the test; exits 77 (skipped) like web.ui,
# and when /usr/bin/python3 cannot import aiosmtpd. Screenshots: alerts-*.png.
if(TILESCOPE_NODE AND TARGET tilescope)
  add_test(NAME web.alerts
    COMMAND ${TILESCOPE_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/web/alerts_ui_test.mjs $<TARGET_FILE:tilescope>
            --video ${PROJECT_SOURCE_DIR}/.cache/media/vtest.avi
            --artifacts ${PROJECT_BINARY_DIR}/test-artifacts/web)
  set_tests_properties(web.alerts PROPERTIES LABELS "web;slow" SKIP_RETURN_CODE 77 TIMEOUT 900)
endif()
