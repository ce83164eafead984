# --- video: LiveSource (issue #5) ------------------------------------------------------
# tests/video/*.cpp are already in video_tests (tests/CMakeLists.txt, labels video;fast); they
# find the sample video under the source tree.
target_compile_definitions(video_tests PRIVATE TILESCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
# ffmpeg_log_test.cpp checks the module's FFmpeg log callback (src/video/ffmpeg_error.h).
target_include_directories(video_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/src/video)
find_package(PkgConfig REQUIRED)
pkg_check_modules(VIDEO_TEST_AVUTIL REQUIRED IMPORTED_TARGET libavutil)
target_link_libraries(video_tests PRIVATE PkgConfig::VIDEO_TEST_AVUTIL)

# Real servers, started by the tests on 127.0.0.1 and always stopped: the RTSP camera of
# tools/rtsp_server.py (killed mid-stream and restarted) and HTTP MJPEG / MPEG-TS / HLS from
# live/http_media_server.py. Seconds each: labelled slow.
file(GLOB VIDEO_LIVE_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/live/*.cpp)
add_executable(video_live_tests ${VIDEO_LIVE_TEST_SOURCES})
target_include_directories(video_live_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(video_live_tests PRIVATE tilescope_video opencv_imgproc GTest::gtest_main)
target_compile_definitions(video_live_tests PRIVATE
  TILESCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  TILESCOPE_PYTHON="/usr/bin/python3"
  TILESCOPE_RTSP_SERVER="${PROJECT_SOURCE_DIR}/tools/rtsp_server.py"
  TILESCOPE_HTTP_MEDIA_SERVER="${CMAKE_CURRENT_LIST_DIR}/live/http_media_server.py")
tilescope_discover_tests(video_live_tests video_live_test_list PREFIX "video." LABELS video slow)
