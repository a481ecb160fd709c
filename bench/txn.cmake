# bench_txn: 100,000 live server and 100,000 live client transactions built from
# real parsed messages; transactions per second and bytes per live transaction.
if(TARGET siphon_txn)
  add_executable(bench_txn ${CMAKE_CURRENT_LIST_DIR}/txn.c)
  target_link_libraries(bench_txn PRIVATE siphon_txn)
  set_target_properties(bench_txn PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
endif()
