# --- pipeline: camera processing (issue #5) -----------------------------------------
# Zones, events (real Store in a temp folder, synthetic tracks), the fps limiter and the
# region gating are fast; the camera pipeline, the worker and the System (system_test.cpp)
# run the default model (NanoDet-m) on the sample video (vtest.avi) for seconds each: slow. Those skip when scripts/setup
# has not fetched the model or the video.
file(GLOB PIPELINE_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
add_executable(pipeline_tests ${PIPELINE_TEST_SOURCES})
# The tests reach the module's internal headers (camera_worker.h, event_tracker.h, ...).
target_include_directories(pipeline_tests PRIVATE ${PROJECT_SOURCE_DIR}/src/pipeline)
target_link_libraries(pipeline_tests PRIVATE tilescope_pipeline tilescope_track tilescope_video
  tilescope_store tilescope_config opencv_imgproc opencv_imgcodecs GTest::gtest_main GTest::gmock)
target_compile_definitions(pipeline_tests PRIVATE TILESCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
tilescope_discover_tests(pipeline_tests pipeline_fast_tests PREFIX "pipeline." FILTER "-CameraPipeline*:CameraWorker*:System*"
  LABELS pipeline fast)
tilescope_discover_tests(pipeline_tests pipeline_slow_tests PREFIX "pipeline." FILTER "CameraPipeline*:CameraWorker*:System*"
  LABELS pipeline slow)
