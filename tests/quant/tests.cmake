# --- quant: post-training static quantisation to QDQ ONNX (issue #7) -------------------
# Fast: QuantizeLinear / DequantizeLinear on both backends, bad calibration folders.
# Slow: the YOLOv8n replica quantized on frames of .cache/media/vtest.avi, checked for
# symmetric per-channel weights, against ONNX Runtime on the same file
# (tests/quant/ort_run.mjs, skipped without Node / bench/node_modules) and against
# fp32 detections (mAP@0.5); the default model (NanoDet-m, TF.js) quantized and run
# with integer convolutions against fp32 (mAP@0.5 >= 0.90).
find_package(OpenCV REQUIRED COMPONENTS core imgcodecs videoio)
file(GLOB QUANT_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
add_executable(quant_tests ${QUANT_TEST_SOURCES})
target_link_libraries(quant_tests PRIVATE tilescope_quant tilescope_detect tilescope_verify opencv_imgcodecs
  opencv_videoio GTest::gtest_main GTest::gmock)
target_compile_definitions(quant_tests PRIVATE
  TILESCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  TILESCOPE_BINARY_DIR="${PROJECT_BINARY_DIR}")
tilescope_discover_tests(quant_tests quant_fast_list PREFIX "quant." FILTER "-Replica*:Model*"
  LABELS quant fast)
tilescope_discover_tests(quant_tests quant_replica_list PREFIX "quant." FILTER "Replica*:Model*"
  FIXTURES replicas LABELS quant replicas slow)
